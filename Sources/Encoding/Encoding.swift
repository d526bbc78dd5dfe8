// Module "Encoding": see DESIGN.md §1.
