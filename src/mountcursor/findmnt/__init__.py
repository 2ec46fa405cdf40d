"""The findmnt engine behind ``mountcursor list``, ``tree`` and ``watch``.

One engine in util-linux's shape (``misc-utils/findmnt.c`` and libsmartcols of
util-linux 2.38.1, read for behaviour, written anew):

* :mod:`.columns` -- the one column table (findmnt's ``infos[]``): each column's
  name, width hint, layout flags, JSON type and help, and ``-o`` parsing;
* :mod:`.rows` -- a table stored column by column: the split mountinfo lines of a
  live table or a saved one, or the entries of any other source;
* :mod:`.select` -- findmnt's selection (``-t -O -S -T -M -N -R -U --real --pseudo
  --shadowed``, positional arguments) computed over those columns, building a
  per-mount object only where a matcher needs one;
* :mod:`.cells` -- the cells of the selected rows, column by column;
* :mod:`.render` -- the one printer (libsmartcols' list, tree, raw, pairs and JSON);
* :mod:`.command` -- the command line run end to end.

Nothing here is imported by the library (:mod:`mountcursor.live`): the engine sits
above it and below the CLI.  Imports are kept to the standard library's cheapest
modules on the path a plain ``list`` takes, since start-up is most of a small run.
"""
