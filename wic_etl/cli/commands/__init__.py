"""The commands of ``wic-etl``, one module each: the command's options and its handler.

A new command is one function in a module here (see ``wic_etl.cli.command``),
named in ``wic_etl.cli.parser.COMMANDS``.
"""
