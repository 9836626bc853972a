"""Reading the extracts: files and their checks, the spill of parsed batches, the reference data; and applications
given as JSON (cases)."""
