(* Minimal stand-in for the opam "stdint" package, only what the EzPC
   compiler uses; Debian has no stdint package.  Used by tools/sci/google30.sh
   (in a scratch copy of the compiler), never by sirnn itself. *)
type int32 = Stdlib.Int32.t
type int64 = Stdlib.Int64.t
type uint32 = Stdlib.Int64.t
type uint64 = Stdlib.Int64.t
module Int32 = Stdlib.Int32
module Int64 = Stdlib.Int64
module Uint32 = struct
  type t = Stdlib.Int64.t
  let m = 0xffffffffL
  let of_int i = Stdlib.Int64.logand (Stdlib.Int64.of_int i) m
  let to_int x = Stdlib.Int64.to_int x
  let zero = 0L
  let one = 1L
  let of_string s = Stdlib.Int64.logand (Stdlib.Int64.of_string s) m
  let to_string x = Stdlib.Int64.to_string x
  let neg x = Stdlib.Int64.logand (Stdlib.Int64.neg x) m
end
module Uint64 = struct
  type t = Stdlib.Int64.t
  let of_int i = Stdlib.Int64.of_int i
  let to_int x = Stdlib.Int64.to_int x
  let of_string s = Stdlib.Int64.of_string ("0u" ^ s)
  let to_string x = Printf.sprintf "%Lu" x
  let shift_left = Stdlib.Int64.shift_left
  let logand = Stdlib.Int64.logand
  let neg = Stdlib.Int64.neg
end
