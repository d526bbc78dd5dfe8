// Module "TestSupport": see DESIGN.md §1.
