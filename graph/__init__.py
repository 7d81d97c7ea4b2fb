"""From annotated seeds to a reasoned, validated graph in an Oxigraph store."""
