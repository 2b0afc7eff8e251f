"""The semantic model of the project: per-file facts extracted from `ast`
(`extract`), joined across the project (`Project`), queried by the analyses."""
