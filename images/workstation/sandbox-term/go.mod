module sandbox-term

go 1.24
