from pathlib import Path


def write(config, out: Path, alerts) -> list[Path]:
    return []
