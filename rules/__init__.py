"""Built-in rule packs (TOML), shipped inside the package as readycheck.rules."""
