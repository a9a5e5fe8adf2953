"""ccsim test suite."""
