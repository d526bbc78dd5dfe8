// Module "NeuralData": see DESIGN.md §1.
