"""The `partyfeed` command line and the scheduling daemon."""
