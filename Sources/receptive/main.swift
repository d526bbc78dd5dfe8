import ReceptiveCLI
ReceptiveCommand.main()
