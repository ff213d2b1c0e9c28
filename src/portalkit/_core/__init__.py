"""The foundation every feature builds on (money, paging, tokens, visibility, permissions,
units of work, files, templates...). Private: what a host uses is exported by ``portalkit``."""
