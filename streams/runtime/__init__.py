"""The batch runtime: how a stage is consumed, produced, committed and dead-lettered."""
