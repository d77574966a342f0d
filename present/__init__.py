"""What users see: HTML for the web app (present.html), plain text for the terminal (present.text), the app's CSS/JS (assets/)."""
