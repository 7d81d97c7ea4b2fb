"""The HTTP face of the graph: a read-only SPARQL endpoint, saved queries, the query page, entity pages."""
