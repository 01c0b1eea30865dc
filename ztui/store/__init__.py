"""What ztui keeps on disk between runs: the write journal, state.toml and the AQuA watch list."""
