"""The output formats of `check`, one module each; `frontends.output` picks one."""
