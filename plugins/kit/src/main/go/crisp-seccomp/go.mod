module crisp.io/seccomp

go 1.19
