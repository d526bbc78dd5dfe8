// Module "Analysis": see DESIGN.md §1.
