"""Analysis of collected posts: sentiment scoring and its evaluation."""
