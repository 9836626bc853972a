"""The rule book's legal values: loading and checking data/rulebook/parameters.yaml."""
