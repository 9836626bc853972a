"""The published database: staging and the atomic publish, the write lock, the layouts and their upgrades."""
