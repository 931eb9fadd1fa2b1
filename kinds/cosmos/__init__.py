"""The cosmos chain kind: CometBFT RPC + Cosmos SDK REST (LCD)."""
