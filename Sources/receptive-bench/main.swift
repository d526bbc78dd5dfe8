print("bench")
RSABench.run()
