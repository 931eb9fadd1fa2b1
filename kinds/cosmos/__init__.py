"""The cosmos chain kind: CometBFT RPC + Cosmos SDK REST (LCD)."""
import chainwatch.exporters.config  # noqa: F401  TEMP wiring before the kinds registry lands
