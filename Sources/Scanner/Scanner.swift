// Module "Scanner": see DESIGN.md §1.
