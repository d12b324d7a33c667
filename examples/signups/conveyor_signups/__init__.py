"""An example plug-in app for Conveyor: sign-ups and the background work around them."""
