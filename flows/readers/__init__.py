"""What reads a published database for a person or another system: the letter (explain), its JSON (grounds), the
HTML report, and the HTTP endpoint (api)."""
