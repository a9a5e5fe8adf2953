"""One module per ``ccsim`` subcommand: ``add_parser(subparsers)`` and ``main(args)``."""
