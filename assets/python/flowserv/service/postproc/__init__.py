"""Post-processing helpers: the layout of the runs folder (`base`) and the
classes that read it (`client`)."""
