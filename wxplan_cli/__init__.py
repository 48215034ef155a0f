"""wxplan: create and manage WeChat Pay APIv3 delivery plans (投放计划) from the command line."""

__version__ = "0.1.0"
