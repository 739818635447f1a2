"""What several apps use: money formatting, the one CSV writer with its formula guard,
the PDF sheet layout, the domain error base. A plain package (not an app); it imports
only Django and the libraries."""
