"""git as CodeCommit needs it: config writes, credential helpers, running git, URL matching.

`config` writes git's configuration for each method; `helpers` reads the
credential helpers git will really run; `cli` runs git (`ls-remote`, versions);
`urlmatch` applies git's own `<url>` matching rules.
"""
