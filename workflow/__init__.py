"""The domain core: a situation's life through the four filters, with no framework imported."""
