// Module "Report": see DESIGN.md §1.
