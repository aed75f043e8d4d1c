"""Private helpers of the Django integration (the only package besides the public Django
modules that imports Django): settings collection, the manifest index, responses."""
