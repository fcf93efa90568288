"""The Textual face of onboard: the app, its screens and widgets."""
