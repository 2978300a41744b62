//! Conversion of the JavaScript argument into a JSON value, with error messages that name the
//! field as JavaScript writes it (`files[".gitlab-ci.yml"]`, `inputs.n`) and the JavaScript
//! type found.
//!
//! The argument is read as JSON would read it: `undefined` members of objects and `Map`s are
//! left out, as `JSON.stringify` leaves them out, and an object with a `toJSON` method is
//! replaced by what the method returns, so a `Date` becomes its ISO 8601 text. An instance of
//! the caller's own class is read by its own enumerable members, whatever its
//! `Symbol.toStringTag`. A `String`, `Number`, `Boolean` or `BigInt` object is read as its
//! primitive value, as `JSON.stringify` reads it. A lone surrogate, which UTF-8 cannot encode, becomes U+FFFD in text
//! such as file contents, and is an error in keys and in the strings that name something.
//! Values that JSON cannot hold (`NaN`, `Infinity`, symbols, functions, typed arrays and other
//! built-in objects) are errors, never dropped or replaced. So is an argument beyond
//! [`MAX_ARGUMENT_DEPTH`], [`MAX_ARGUMENT_VALUES`] or [`MAX_ARGUMENT_TEXT_BYTES`].
//!
//! Reading an object can run the caller's code: getters, `Proxy` traps, `toJSON` methods, a
//! `Map` subclass's `forEach`. Every such read goes through an import of [`guarded`], whose glue catches a
//! JavaScript exception and returns it as an `Err`. An exception that escaped an import instead
//! would unwind past the Rust frames without restoring wasm's stack pointer, and after a few
//! hundred such calls the module would fail for good.

use std::borrow::Cow;

use glplan::diagnostic::{code_span, is_hidden_character};
use js_sys::{Array, Function, JsString, Map, Object};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

/// The reads of the argument that can run the caller's code, each catching what it throws.
pub mod guarded {
    use js_sys::{Array, Map, Object};
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// `Array.isArray(value)`, which throws for a revoked `Proxy`.
        #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
        pub fn is_array(value: &JsValue) -> Result<bool, JsValue>;

        /// `Array.from(value)`.
        #[wasm_bindgen(js_namespace = Array, js_name = from, catch)]
        pub fn array_from(value: &JsValue) -> Result<Array, JsValue>;

        /// `Object.entries(value)`, which runs getters.
        #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
        pub fn entries(value: &JsValue) -> Result<Array, JsValue>;

        /// `Object.keys(value)`.
        #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
        pub fn keys(value: &JsValue) -> Result<Array, JsValue>;

        /// `Object.values(value)`, which runs getters.
        #[wasm_bindgen(js_namespace = Object, js_name = values, catch)]
        pub fn values(value: &JsValue) -> Result<Array, JsValue>;

        /// `Reflect.getOwnPropertyDescriptor(target, key)`: `undefined` when `target` has no
        /// own property `key`.
        #[wasm_bindgen(js_namespace = Reflect, js_name = getOwnPropertyDescriptor, catch)]
        pub fn own_property_descriptor(target: &JsValue, key: &JsValue)
        -> Result<JsValue, JsValue>;

        /// `Object.getPrototypeOf(value)`.
        #[wasm_bindgen(js_namespace = Object, js_name = getPrototypeOf, catch)]
        pub fn prototype_of(value: &JsValue) -> Result<Object, JsValue>;

        /// `Reflect.get(target, key)`.
        #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
        pub fn get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;

        /// `String(value)`, which runs the value's `toString`.
        #[wasm_bindgen(js_name = String, catch)]
        pub fn string(value: &JsValue) -> Result<JsValue, JsValue>;

        /// `Number(value)`, which runs the value's `valueOf`.
        #[wasm_bindgen(js_name = Number, catch)]
        pub fn number(value: &JsValue) -> Result<JsValue, JsValue>;
    }

    /// `map.forEach(callback)`, which a subclass may override: calls `callback` with each
    /// value and key.
    pub fn for_each(map: &Map, callback: &mut dyn FnMut(JsValue, JsValue)) -> Result<(), JsValue> {
        map.try_for_each(&mut |value, key| {
            callback(value, key);
            Ok(())
        })
    }

    /// Describes what a read of the argument threw: an `Error`'s name and message, or the
    /// thrown value as `String` writes it.
    pub fn thrown(exception: &JsValue) -> String {
        let text = |value: &JsValue| string(value).ok().and_then(|text| text.as_string());
        if exception.is_instance_of::<js_sys::Error>() {
            let member = |key: &str| {
                get(exception, &JsValue::from_str(key))
                    .ok()
                    .and_then(|value| text(&value))
                    .unwrap_or_default()
            };
            let (name, message) = (member("name"), member("message"));
            return if message.is_empty() {
                name
            } else {
                format!("{name}: {message}")
            };
        }
        text(exception).unwrap_or_else(|| "a value that cannot be shown".to_owned())
    }
}

/// Reads a string that names something (an object key, a `Map` key, a job): `None` when
/// `value` is not a string, and an error when it contains a lone surrogate, which UTF-8 cannot
/// encode and [`JsValue::as_string`] would silently replace with U+FFFD.
pub fn name_text(value: &JsValue) -> Result<Option<String>, String> {
    let Some(text) = value.as_string() else {
        return Ok(None);
    };
    // U+FFFD is where a lone surrogate went; only then is the slow check needed.
    if text.contains('\u{FFFD}')
        && let Some(message) = lone_surrogate_message(value.unchecked_ref())
    {
        return Err(message);
    }
    Ok(Some(text))
}

/// Reads a name passed as an argument of its own, such as `explain`'s job, as [`name_text`]
/// reads a string. A `String` object of any realm, or of a subclass, is read as its text through
/// `String(value)`, as [`to_json`] reads one inside the argument.
pub fn name_argument(value: &JsValue) -> Result<Option<String>, String> {
    if value.is_string() {
        return name_text(value);
    }
    let is_string_object = BUILTINS.with(|builtins| has_slots(&builtins.string_value_of, value));
    if !is_string_object {
        return Ok(None);
    }
    let text = guarded::string(value)
        .map_err(|exception| format!("reading it threw {}", guarded::thrown(&exception)))?;
    name_text(&text)
}

/// Escapes the characters of `text` that [`is_hidden_character`] accepts, such as newline, tab,
/// NUL and ESC, in the escape forms of JSON strings (`\n`, `\t`, `\u0000`, `\u001b`), so that
/// a name from the argument cannot break or hide in a message. A backslash stays as it is, so
/// `\n` in the result may also be a backslash and `n` in `text`.
pub fn escape_hidden(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden_character) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        match ch {
            '\u{8}' => escaped.push_str("\\b"),
            '\t' => escaped.push_str("\\t"),
            '\n' => escaped.push_str("\\n"),
            '\u{c}' => escaped.push_str("\\f"),
            '\r' => escaped.push_str("\\r"),
            // Every such character is in the Basic Multilingual Plane, so four digits suffice.
            ch if is_hidden_character(ch) => {
                escaped.push_str(&format!("\\u{:04x}", u32::from(ch)));
            }
            ch => escaped.push(ch),
        }
    }
    Cow::Owned(escaped)
}

/// Quotes `name` for a message: a code span ([`code_span`]) of `name` with its hidden
/// characters escaped ([`escape_hidden`]).
pub fn quote(name: &str) -> String {
    code_span(&escape_hidden(name))
}

/// Returns the message for a name that contains a lone surrogate, or `None` when `text` is
/// valid UTF-16. The message quotes the name with each lone surrogate escaped as
/// `JSON.stringify` writes it (`\ud800`), so that the caller can find it.
fn lone_surrogate_message(text: &JsString) -> Option<String> {
    if text.is_valid_utf16() {
        return None;
    }
    let mut escaped = String::new();
    let mut first = None;
    for unit in char::decode_utf16(text.iter()) {
        match unit {
            Ok(ch) => escaped.push(ch),
            Err(error) => {
                let unit = format!("\\u{:04x}", error.unpaired_surrogate());
                escaped.push_str(&unit);
                first.get_or_insert(unit);
            }
        }
    }
    Some(format!(
        "{} contains the lone surrogate `{}` (half of a UTF-16 pair), which is invalid in a name",
        quote(&escaped),
        first.unwrap_or_default()
    ))
}

/// Returns the message of a read at `path` that threw `exception`.
pub fn threw_at(path: &[Step], exception: &JsValue) -> String {
    invalid_at(
        path,
        &format!("reading it threw {}", guarded::thrown(exception)),
    )
}

/// One step of a path into the argument: an object member or `Map` key, or an array index.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A member name or `Map` key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Formats `path` as a JavaScript expression without its root, such as
/// `files[".gitlab-ci.yml"]` or `context.mr_labels[0]`. Keys that are identifiers follow a
/// dot, the others are quoted in brackets.
pub fn format_path(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) if is_identifier(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Key(key) => {
                let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("\"{key}\""));
                out.push('[');
                out.push_str(&quoted);
                out.push(']');
            }
            Step::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == '$')
        && chars.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '$')
}

/// Returns the message of an invalid argument at `path`.
pub fn invalid_at(path: &[Step], message: &str) -> String {
    if path.is_empty() {
        format!("invalid argument: {message}")
    } else {
        format!(
            "invalid argument {}: {message}",
            code_span(&format_path(path))
        )
    }
}

/// The deepest nesting of objects and arrays the argument may have. The conversion recurses
/// once per level on wasm's small stack, whose overflow would corrupt the module's memory
/// rather than throw, so it rejects deeper values before it recurses. GitLab's own limit on the
/// nesting of a configuration is 100.
pub const MAX_ARGUMENT_DEPTH: usize = 100;

/// The maximum number of values the conversion reads. An argument that refers to the same
/// object many times over counts each reference, so a few dozen arrays of two references each
/// cannot make the conversion build millions of values (about 4 µs each).
pub const MAX_ARGUMENT_VALUES: usize = 1_000_000;

/// The maximum size of all the argument's strings together, keys included, in bytes of UTF-8.
/// The conversion copies each string into the module's memory, which can grow to 4 GiB at most,
/// and running out of it is a trap after which the memory stays in use. 512 MiB, an eighth of
/// that, leaves room for the work on the copies.
pub const MAX_ARGUMENT_TEXT_BYTES: usize = 512 * 1024 * 1024;

/// The argument of a function converted into JSON.
#[derive(Debug)]
pub struct Argument {
    /// The argument as JSON.
    pub json: Value,
    /// The paths of the values that were `BigInt`s, which `json` contains as numbers, so that
    /// messages about them can name a bigint.
    pub bigint_paths: Vec<Vec<Step>>,
}

/// Converts a JavaScript value into JSON. `is_text` returns whether the string at a path is
/// text, such as file contents, where a lone surrogate becomes U+FFFD, as `TextEncoder` writes
/// it. In every other string, which names something, a lone surrogate is an error.
pub fn to_json(value: &JsValue, is_text: fn(&[Step]) -> bool) -> Result<Argument, String> {
    BUILTINS.with(|builtins| {
        let mut reader = Reader {
            builtins,
            visited: 0,
            text_bytes: 0,
            bigint_paths: Vec::new(),
            is_text,
        };
        let mut path = Vec::new();
        let json = reader.convert(value, &mut path)?;
        Ok(Argument {
            json,
            bigint_paths: reader.bigint_paths,
        })
    })
}

thread_local! {
    /// The built-in functions, looked up once: each lookup creates objects and reads property
    /// descriptors, which cost more than reading a small argument.
    static BUILTINS: Builtins = Builtins::new();
}

/// Functions of the module's realm that identify the kind of a built-in object.
///
/// Maps are recognized by their internal slots, through the `size` getter of `Map.prototype`,
/// because `instanceof Map` is false for a `Map` of another realm (an iframe, a Node.js `vm`
/// context) and `Symbol.toStringTag` can name any object a `Map`.
struct Builtins {
    /// `Object.prototype` of the module's realm.
    object_prototype: Option<Object>,
    /// `Object.prototype.toString`, which names a built-in object's kind (`[object Date]`)
    /// even when the object overrides `toString`.
    object_to_string: Option<Function>,
    /// The `size` getter of `Map.prototype`, which throws unless `this` is a `Map`.
    map_size: Option<Function>,
    /// The `size` getter of `Set.prototype`, which throws unless `this` is a `Set`.
    set_size: Option<Function>,
    /// The `byteLength` getter of `ArrayBuffer.prototype`, which throws unless `this` is an
    /// `ArrayBuffer`.
    array_buffer_byte_length: Option<Function>,
    /// `Function.prototype.toString`, which writes the source text of a function that
    /// JavaScript code defines and `{ [native code] }` for one of the engine or the platform.
    function_to_string: Option<Function>,
    /// `String.prototype.valueOf`, which throws unless `this` is a string or `String` object.
    string_value_of: Option<Function>,
    /// `Number.prototype.valueOf`, which throws unless `this` is a number or `Number` object.
    number_value_of: Option<Function>,
    /// `Boolean.prototype.valueOf`, which throws unless `this` is a boolean or `Boolean`
    /// object.
    boolean_value_of: Option<Function>,
    /// `BigInt.prototype.valueOf`, which throws unless `this` is a bigint or `BigInt` object.
    bigint_value_of: Option<Function>,
}

impl Builtins {
    /// Looks up the functions in the module's realm.
    fn new() -> Self {
        let object_prototype = guarded::prototype_of(&Object::new().into()).ok();
        let object_to_string = object_prototype
            .as_ref()
            .and_then(|prototype| guarded::get(prototype, &JsValue::from_str("toString")).ok())
            .and_then(|method| method.dyn_into::<Function>().ok());
        Self {
            object_prototype,
            object_to_string,
            map_size: prototype_getter(&Map::new().into(), "size"),
            set_size: prototype_getter(&js_sys::Set::new(&JsValue::UNDEFINED).into(), "size"),
            array_buffer_byte_length: prototype_getter(
                &js_sys::ArrayBuffer::new(0).into(),
                "byteLength",
            ),
            // Not through `new Function`, which a Content Security Policy without
            // 'unsafe-eval' makes throw.
            function_to_string: prototype_method("Function", "toString"),
            string_value_of: prototype_method("String", "valueOf"),
            number_value_of: prototype_method("Number", "valueOf"),
            boolean_value_of: prototype_method("Boolean", "valueOf"),
            bigint_value_of: prototype_method("BigInt", "valueOf"),
        }
    }

    /// Returns the primitive value of a `String`, `Number`, `Boolean` or `BigInt` object of
    /// any realm, or `None` for every other object. As in `JSON.stringify`, `String(value)`
    /// reads a `String` object and `Number(value)` a `Number` object, which run its `toString`
    /// or `valueOf`. The others are read by their value alone. The objects are recognized by
    /// their internal slots, so neither `Symbol.toStringTag` nor the prototype can disguise
    /// them.
    fn primitive_value(&self, value: &JsValue, path: &[Step]) -> Result<Option<JsValue>, String> {
        if has_slots(&self.string_value_of, value) {
            return guarded::string(value)
                .map(Some)
                .map_err(|exception| threw_at(path, &exception));
        }
        if has_slots(&self.number_value_of, value) {
            return guarded::number(value)
                .map(Some)
                .map_err(|exception| threw_at(path, &exception));
        }
        for value_of in [&self.boolean_value_of, &self.bigint_value_of] {
            if let Some(primitive) = value_of
                .as_ref()
                .and_then(|value_of| value_of.call0(value).ok())
            {
                return Ok(Some(primitive));
            }
        }
        Ok(None)
    }

    /// Returns whether `value` is an object whose prototype is `Object.prototype` of the
    /// module's realm, or `null`: an object literal or `Object.create(null)`, which
    /// `JSON.stringify` reads by its members whatever its `Symbol.toStringTag`. Such objects
    /// are most of an argument, and this check costs one call where the others throw and catch
    /// an exception for each.
    fn is_plain(&self, value: &JsValue) -> bool {
        let Ok(prototype) = guarded::prototype_of(value) else {
            return false;
        };
        prototype.is_null() || self.object_prototype.as_ref() == Some(&prototype)
    }

    /// Returns whether `value` is a `Map` of any realm, or of a `Map` subclass.
    fn is_map(&self, value: &JsValue) -> bool {
        has_slots(&self.map_size, value)
    }

    /// Returns the kind of a non-array object as `Object.prototype.toString` names it, such as
    /// `Object` for plain objects and class instances, or `Uint8Array`, `Date` and `String`.
    /// An object whose `Symbol.toStringTag` names a `Map`, `Set`, `ArrayBuffer` or a typed array
    /// that the object is not counts as `Object`. So does an object whose tag the caller's code
    /// declares (see [`Builtins::has_callers_tag`]), unless it is a `Set`, an `ArrayBuffer` or a
    /// view of one, which a subclass can rename.
    fn object_kind(&self, value: &JsValue) -> String {
        let Some(object_to_string) = &self.object_to_string else {
            return "Object".to_owned();
        };
        let text = object_to_string
            .call0(value)
            .ok()
            .and_then(|text| text.dyn_into::<JsString>().ok())
            .map(String::from)
            .unwrap_or_default();
        let kind = text
            .strip_prefix("[object ")
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or("Object");
        let genuine = match kind {
            "Map" => self.is_map(value),
            "Set" => has_slots(&self.set_size, value),
            "ArrayBuffer" => has_slots(&self.array_buffer_byte_length, value),
            "DataView" => js_sys::ArrayBuffer::is_view(value),
            _ if kind.ends_with("Array") => js_sys::ArrayBuffer::is_view(value),
            _ => {
                !self.has_callers_tag(value)
                    || has_slots(&self.set_size, value)
                    || has_slots(&self.array_buffer_byte_length, value)
                    || js_sys::ArrayBuffer::is_view(value)
            }
        };
        if genuine {
            kind.to_owned()
        } else {
            "Object".to_owned()
        }
    }

    /// Returns whether the `Symbol.toStringTag` of `value` comes from the caller's code, judged
    /// by how its owner, the first object on the prototype chain with the tag as an own
    /// property, defines it. ECMAScript and Web IDL define the tag of every built-in prototype
    /// and namespace object either as a data property that is neither writable nor enumerable
    /// but configurable, or as a built-in getter (`Iterator.prototype`, typed arrays). Every
    /// other tag is the caller's: one written in an object literal or by assignment, a class
    /// field, or a getter of a class. Returns `false` when `value` has no tag, so that its kind
    /// comes from its internal slots, as for an `Error` or a `Date`.
    ///
    /// NOTE: A tag that the caller's code defines the way the engine does (with
    /// `Object.defineProperty` and only `configurable: true`), or with a bound function or a
    /// `Proxy` as getter, counts as the engine's, because no JavaScript check distinguishes
    /// them.
    fn has_callers_tag(&self, value: &JsValue) -> bool {
        let tag: JsValue = js_sys::Symbol::to_string_tag().into();
        let mut owner = value.clone();
        // A bound on the walk, because a `Proxy` can report a new prototype on every call.
        for _ in 0..MAX_ARGUMENT_DEPTH {
            match guarded::own_property_descriptor(&owner, &tag) {
                Ok(descriptor) if !descriptor.is_undefined() => {
                    return self.is_callers_definition(&descriptor);
                }
                Ok(_) => {}
                Err(_) => return false,
            }
            match guarded::prototype_of(&owner) {
                Ok(prototype) if !prototype.is_null() => owner = prototype.into(),
                _ => return false,
            }
        }
        false
    }

    /// Returns whether the property `descriptor`, as `Reflect.getOwnPropertyDescriptor`
    /// returns it, differs from the definition of a built-in object's tag (see
    /// [`Builtins::has_callers_tag`]).
    fn is_callers_definition(&self, descriptor: &JsValue) -> bool {
        let field = |name: &str| {
            guarded::get(descriptor, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
        };
        let getter = field("get");
        if getter.is_function() {
            return !self.is_native(&getter);
        }
        if !field("set").is_undefined() {
            // An accessor with a setter alone, which no built-in object has.
            return true;
        }
        let built_in = field("writable").as_bool() == Some(false)
            && field("enumerable").as_bool() == Some(false)
            && field("configurable").as_bool() == Some(true);
        !built_in
    }

    /// Returns whether `function` is the engine's or the platform's, which
    /// `Function.prototype.toString` writes as `{ [native code] }` instead of source text.
    fn is_native(&self, function: &JsValue) -> bool {
        let Some(function_to_string) = &self.function_to_string else {
            return true;
        };
        function_to_string
            .call0(function)
            .ok()
            .and_then(|text| text.as_string())
            .is_none_or(|text| text.ends_with("{ [native code] }"))
    }

    /// Describes a value for a message, such as `number 1` or `an object`.
    fn describe(&self, value: &JsValue) -> String {
        if let Some(number) = value.as_f64() {
            return format!("number {number}");
        }
        if value.is_null() {
            return "null".to_owned();
        }
        if value.is_undefined() {
            return "undefined".to_owned();
        }
        if value.as_bool().is_some() {
            return "a boolean".to_owned();
        }
        if value.is_bigint() {
            return "a bigint".to_owned();
        }
        if value.is_symbol() {
            return "a symbol".to_owned();
        }
        if value.is_function() {
            return "a function".to_owned();
        }
        if guarded::is_array(value).unwrap_or(false) {
            return "an array".to_owned();
        }
        with_article(&self.object_kind(value))
    }
}

/// Returns the getter of property `name` on the prototype of `instance`.
fn prototype_getter(instance: &JsValue, name: &str) -> Option<Function> {
    let prototype = guarded::prototype_of(instance).ok()?;
    let descriptor = Object::get_own_property_descriptor(&prototype, &JsValue::from_str(name));
    guarded::get(&descriptor, &JsValue::from_str("get"))
        .ok()?
        .dyn_into::<Function>()
        .ok()
}

/// Returns `globalThis[constructor].prototype[name]` of the module's realm, if it is a
/// function.
fn prototype_method(constructor: &str, name: &str) -> Option<Function> {
    let constructor = guarded::get(&js_sys::global(), &JsValue::from_str(constructor)).ok()?;
    let prototype = guarded::get(&constructor, &JsValue::from_str("prototype")).ok()?;
    guarded::get(&prototype, &JsValue::from_str(name))
        .ok()?
        .dyn_into::<Function>()
        .ok()
}

/// Returns whether `getter`, a built-in getter that checks the internal slots of `this`,
/// accepts `value`.
fn has_slots(getter: &Option<Function>, value: &JsValue) -> bool {
    getter
        .as_ref()
        .is_some_and(|getter| getter.call0(value).is_ok())
}

/// The state of one conversion: the realm's built-in functions, the number of values and of
/// string bytes read and the paths of the `BigInt`s read, with the test of [`to_json`] for text.
struct Reader<'b> {
    builtins: &'b Builtins,
    visited: usize,
    text_bytes: usize,
    bigint_paths: Vec<Vec<Step>>,
    is_text: fn(&[Step]) -> bool,
}

impl Reader<'_> {
    /// Adds the size of `text`, a string of the argument at `path`, to the total and rejects
    /// the argument once the total exceeds [`MAX_ARGUMENT_TEXT_BYTES`].
    fn count_text(&mut self, text: &str, path: &[Step]) -> Result<(), String> {
        self.text_bytes += text.len();
        if self.text_bytes <= MAX_ARGUMENT_TEXT_BYTES {
            return Ok(());
        }
        Err(invalid_at(
            path,
            &format!(
                "the argument's strings add up to more than {} MiB of UTF-8 with this one, \
                 more than glplan reads, because the module's memory can grow to 4 GiB at most",
                MAX_ARGUMENT_TEXT_BYTES / (1024 * 1024)
            ),
        ))
    }

    fn convert(&mut self, value: &JsValue, path: &mut Vec<Step>) -> Result<Value, String> {
        self.visited += 1;
        if self.visited > MAX_ARGUMENT_VALUES {
            return Err(format!(
                "invalid argument: it holds more than {MAX_ARGUMENT_VALUES} values"
            ));
        }
        let replaced = replace_by_to_json(value, path)?;
        let value = replaced.as_ref().unwrap_or(value);

        if value.is_null() || value.is_undefined() {
            return Ok(Value::Null);
        }
        if let Some(flag) = value.as_bool() {
            return Ok(Value::Bool(flag));
        }
        if let Some(text) = value.as_string() {
            // U+FFFD is where a lone surrogate went; only then is the slow check needed.
            if text.contains('\u{FFFD}')
                && !(self.is_text)(path)
                && let Some(message) = lone_surrogate_message(value.unchecked_ref())
            {
                return Err(invalid_at(path, &message));
            }
            self.count_text(&text, path)?;
            return Ok(Value::String(text));
        }

        if let Some(number) = value.as_f64() {
            return number_json(number).ok_or_else(|| {
                invalid_at(
                    path,
                    &format!("{} is not a JSON number", number_text(number)),
                )
            });
        }

        if value.is_bigint() {
            let number = bigint_json(value).ok_or_else(|| {
                invalid_at(
                    path,
                    "the bigint is outside the range of 64-bit integers; pass a smaller number \
                     or a string",
                )
            })?;
            self.bigint_paths.push(path.clone());
            return Ok(number);
        }

        if value.is_symbol() || value.is_function() {
            let kind = if value.is_symbol() {
                "a symbol"
            } else {
                "a function"
            };
            return Err(invalid_at(
                path,
                &format!(
                    "{kind} is not a JSON value; pass a string, number, boolean, array or object"
                ),
            ));
        }

        if path.len() >= MAX_ARGUMENT_DEPTH {
            let at = match path.first() {
                Some(field @ Step::Key(_)) => {
                    format!(" in `{}`", format_path(std::slice::from_ref(field)))
                }
                Some(Step::Index(_)) | None => String::new(),
            };
            return Err(format!(
                "invalid argument: objects and arrays{at} are nested more than \
                 {MAX_ARGUMENT_DEPTH} levels deep, or an object contains itself"
            ));
        }

        if guarded::is_array(value).map_err(|exception| threw_at(path, &exception))? {
            let items_of =
                guarded::array_from(value).map_err(|exception| threw_at(path, &exception))?;
            let mut items = Vec::new();
            for (index, item) in items_of.iter().enumerate() {
                path.push(Step::Index(index));
                items.push(self.convert(&item, path)?);
                path.pop();
            }
            return Ok(Value::Array(items));
        }

        let plain = self.builtins.is_plain(value);
        if !plain && self.builtins.is_map(value) {
            return self.map_json(value.unchecked_ref(), path);
        }
        if !plain && let Some(primitive) = self.builtins.primitive_value(value, path)? {
            return self.convert(&primitive, path);
        }

        let kind = if plain {
            "Object".to_owned()
        } else {
            self.builtins.object_kind(value)
        };
        if kind != "Object" {
            return Err(invalid_at(
                path,
                &format!(
                    "{} is not a JSON value; pass a string, number, boolean, array or plain object",
                    with_article(&kind)
                ),
            ));
        }

        let mut object = serde_json::Map::new();
        let entries = guarded::entries(value).map_err(|exception| threw_at(path, &exception))?;
        for entry in entries.iter() {
            let entry: Array = entry.unchecked_into();
            let member = entry.get(1);
            if member.is_undefined() {
                continue;
            }
            let key = name_text(&entry.get(0))
                .map_err(|message| invalid_at(path, &message))?
                .unwrap_or_default();
            self.count_text(&key, path)?;
            path.push(Step::Key(key.clone()));
            let converted = self.convert(&member, path)?;
            path.pop();
            object.insert(key, converted);
        }
        Ok(Value::Object(object))
    }

    fn map_json(&mut self, map: &Map, path: &mut Vec<Step>) -> Result<Value, String> {
        let mut object = serde_json::Map::new();
        let mut failure = None;
        let read = guarded::for_each(map, &mut |member, key| {
            if failure.is_some() || member.is_undefined() {
                return;
            }
            let key = match name_text(&key) {
                Ok(Some(key)) => key,
                Ok(None) => {
                    let found = self.builtins.describe(&key);
                    failure = Some(invalid_at(
                        path,
                        &format!("a Map key must be a string, found {found}"),
                    ));
                    return;
                }
                Err(message) => {
                    failure = Some(invalid_at(path, &message));
                    return;
                }
            };
            if let Err(message) = self.count_text(&key, path) {
                failure = Some(message);
                return;
            }
            path.push(Step::Key(key.clone()));
            match self.convert(&member, path) {
                Ok(converted) => {
                    object.insert(key, converted);
                }
                Err(message) => failure = Some(message),
            }
            path.pop();
        });
        if let Err(exception) = read {
            return Err(threw_at(path, &exception));
        }
        match failure {
            Some(message) => Err(message),
            None => Ok(Value::Object(object)),
        }
    }
}

/// Returns what `value.toJSON(key)` returns when `value` is an object with a `toJSON` method,
/// as `JSON.stringify` calls it, so that a `Date` becomes its ISO 8601 text. `key` is the last
/// step of `path`: the member name or `Map` key, the array index as a string, or `""` for the
/// argument itself. Returns `None` when there is no such method.
fn replace_by_to_json(value: &JsValue, path: &[Step]) -> Result<Option<JsValue>, String> {
    if !value.is_object() && !value.is_function() {
        return Ok(None);
    }
    let method = guarded::get(value, &JsValue::from_str("toJSON"))
        .map_err(|exception| threw_at(path, &exception))?;
    let Some(method) = method.dyn_ref::<Function>() else {
        return Ok(None);
    };
    let key = match path.last() {
        Some(Step::Key(key)) => key.clone(),
        Some(Step::Index(index)) => index.to_string(),
        None => String::new(),
    };
    method
        .call1(value, &JsValue::from_str(&key))
        .map(Some)
        .map_err(|exception| threw_at(path, &exception))
}

/// Converts a finite number: an integer that fits 64 bits to a JSON integer, as
/// `JSON.stringify` writes it with all its digits, any other finite number to a JSON float.
/// `None` for `NaN` and the infinities.
fn number_json(number: f64) -> Option<Value> {
    // 2^63 and 2^64, which f64 represents exactly.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    const U64_END: f64 = 18_446_744_073_709_551_616.0;
    if !number.is_finite() {
        return None;
    }
    if number.fract() == 0.0 {
        // Every integer f64 in these ranges converts exactly.
        if (-I64_END..I64_END).contains(&number) {
            return Some(Value::from(number as i64));
        }
        if (0.0..U64_END).contains(&number) {
            return Some(Value::from(number as u64));
        }
    }
    serde_json::Number::from_f64(number).map(Value::Number)
}

fn number_text(number: f64) -> &'static str {
    if number.is_nan() {
        "NaN"
    } else if number > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

fn bigint_json(value: &JsValue) -> Option<Value> {
    if let Ok(number) = i64::try_from(value.clone()) {
        return Some(Value::from(number));
    }
    u64::try_from(value.clone()).ok().map(Value::from)
}

fn with_article(kind: &str) -> String {
    if kind == "Object" {
        return "an object".to_owned();
    }
    let vowel = kind
        .chars()
        .next()
        .is_some_and(|first| "AEIO".contains(first));
    if vowel {
        format!("an {kind}")
    } else {
        format!("a {kind}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_path_quotes_non_identifiers() {
        let path = [
            Step::Key("files".to_owned()),
            Step::Key(".gitlab-ci.yml".to_owned()),
        ];
        assert_eq!(format_path(&path), "files[\".gitlab-ci.yml\"]");
    }

    #[test]
    fn format_path_dots_identifiers_and_indexes() {
        let path = [
            Step::Key("context".to_owned()),
            Step::Key("mr_labels".to_owned()),
            Step::Index(0),
        ];
        assert_eq!(format_path(&path), "context.mr_labels[0]");
    }

    #[test]
    fn invalid_at_key_with_backtick() {
        let path = [Step::Key("a`b".to_owned())];
        assert_eq!(
            invalid_at(&path, "unknown field"),
            "invalid argument ``[\"a`b\"]``: unknown field"
        );
        let path = [Step::Key("files".to_owned())];
        assert_eq!(
            invalid_at(&path, "expected an object"),
            "invalid argument `files`: expected an object"
        );
    }

    #[test]
    fn number_json_rejects_nan_and_infinity() {
        assert_eq!(number_json(f64::NAN), None);
        assert_eq!(number_json(f64::INFINITY), None);
        assert_eq!(number_json(f64::NEG_INFINITY), None);
        assert_eq!(number_json(3.0), Some(Value::from(3)));
        assert_eq!(number_json(1.5), Some(Value::from(1.5)));
    }

    #[test]
    fn number_json_large_integers_exact() {
        assert_eq!(
            number_json(9_007_199_254_740_994.0),
            Some(Value::from(9_007_199_254_740_994_i64))
        );
        assert_eq!(
            number_json(-9_223_372_036_854_775_808.0),
            Some(Value::from(i64::MIN))
        );
        assert_eq!(
            number_json(18_446_744_073_709_549_568.0),
            Some(Value::from(18_446_744_073_709_549_568_u64))
        );
        assert_eq!(number_json(1e20), Some(Value::from(1e20)));
        assert_eq!(number_json(-0.0), Some(Value::from(0)));
    }

    #[test]
    fn with_article_uses_an_before_vowel() {
        assert_eq!(with_article("Uint8Array"), "a Uint8Array");
        assert_eq!(with_article("ArrayBuffer"), "an ArrayBuffer");
        assert_eq!(with_article("Date"), "a Date");
        assert_eq!(with_article("Object"), "an object");
    }
}
