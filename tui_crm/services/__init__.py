"""Business rules, shared by the TUI and the command line. No Textual import below here."""
