"""Where the project's data lives: seeds, ontology, saved queries and the store directory.

The package is installed in editable mode from the repository (see README), so the data folders are
found beside the code. CKG_ROOT points elsewhere, for example at a copy of the repository."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    root: Path
    var_dir: Path | None = None  # where stores go; default root/var, or $CKG_VAR

    @classmethod
    def locate(cls, root: str | os.PathLike | None = None, var: str | os.PathLike | None = None) -> "Project":
        if root is None:
            root = os.environ.get("CKG_ROOT") or Path(__file__).resolve().parent.parent
        var = var or os.environ.get("CKG_VAR")
        return cls(Path(root).resolve(), Path(var).resolve() if var else None)

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @property
    def var(self) -> Path:
        """Built stores and their metadata; never committed."""
        return self.var_dir or self.root / "var"
