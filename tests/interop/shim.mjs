// Promise.withResolvers for Node.js 20.
//
// libp2p 3.x (and its dependencies mortice and it-queue) call
// Promise.withResolvers, an ES2024 built-in that V8 ships only from Node 22.
// Import this module before anything from libp2p.  It does nothing when the
// built-in exists.
//
// Follows ECMA-262 (2024) 27.2.4.8 Promise.withResolvers ( ) and
// 27.2.1.5 NewPromiseCapability ( C ):
//   - uses the this value as the constructor, so subclasses work
//     (MyPromise.withResolvers() returns a MyPromise);
//   - throws a TypeError if the this value is not a constructor, if the
//     executor is called again with resolving functions already set, or if
//     the constructor did not supply callable resolve/reject functions;
//   - returns a fresh ordinary object with own data properties promise,
//     resolve, reject, in that order;
//   - is installed like a built-in method: writable, non-enumerable,
//     configurable, name "withResolvers", length 0, not a constructor.

if (typeof Promise.withResolvers !== 'function') {
  const methods = {
    // Method syntax: gets name "withResolvers", length 0, and no
    // [[Construct]] or prototype property, like a built-in function.
    withResolvers () {
      const C = this
      let resolve
      let reject
      // GetCapabilitiesExecutor: anonymous, length 2, not a constructor.
      const executor = [(res, rej) => {
        if (resolve !== undefined) {
          throw new TypeError('Promise executor already has a resolve function')
        }
        if (reject !== undefined) {
          throw new TypeError('Promise executor already has a reject function')
        }
        resolve = res
        reject = rej
      }][0]
      // Construct(C, « executor »).  A non-constructor this value makes
      // `new` throw the TypeError that step 1 of NewPromiseCapability
      // requires, and nothing observable happens before it.
      const promise = new C(executor)
      if (typeof resolve !== 'function') {
        throw new TypeError('Promise resolve function is not callable')
      }
      if (typeof reject !== 'function') {
        throw new TypeError('Promise reject function is not callable')
      }
      return { promise, resolve, reject }
    }
  }

  Object.defineProperty(Promise, 'withResolvers', {
    value: methods.withResolvers,
    writable: true,
    enumerable: false,
    configurable: true
  })
}
