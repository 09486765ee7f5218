"""The app's screens and dialogs, one per file; each is imported when first shown."""
