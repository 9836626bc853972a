"""What reads a published database for a person: the letter (explain) and the HTML report."""
