"""What every command runs inside: its errors and exit statuses, signals, progress, logs and terminal."""
