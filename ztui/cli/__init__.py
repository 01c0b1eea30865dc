"""The command line: argument parsing, the app launcher, config commands and headless commands."""
