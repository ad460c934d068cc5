module benchtarget

go 1.19
