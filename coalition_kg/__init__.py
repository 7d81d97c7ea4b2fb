"""coalition-kg: a bilingual knowledge graph of the Global Coalition against Daesh in Africa."""

__version__ = "0.1.0"
