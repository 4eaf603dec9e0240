"""hubtable: the composition root (configuration and the command line)."""
