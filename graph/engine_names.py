"""The SPARQL engines `ckg publish` and `ckg serve --backend` know, by name: here alone, so that the
command line and the settings table can offer them without importing the engines' clients (graph/publish.py
ENGINES says what each one is, under these names; a test holds the two together)."""

ENGINE_NAMES = ("oxigraph", "virtuoso", "sparql11")
