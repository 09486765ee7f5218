"""The Textual app and the `scopecard` command line. Presentation only."""
