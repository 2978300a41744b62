//! Parser for CI/CD variable expressions, reproducing GitLab's `Expression::Parser`.
//!
//! GitLab converts the tokens to reverse Polish notation with the shunting-yard algorithm and
//! then builds the tree from that sequence, without checking that operators sit between their
//! operands. So its grammar is looser than the usual infix one: `== $A $B` is a valid
//! comparison and `$A !` means `!$A`. This module runs the same two steps, so it accepts and
//! rejects exactly what GitLab does and builds the same tree.
//!
//! Operator precedence (a lower number binds tighter): `!` 1, `==` `!=` `=~` `!~` 10, `&&` 11,
//! `||` 12, all left-associative.

use std::ops::Range;

use compact_str::CompactString;

use crate::variables::predefined_name;

use super::lexer::{Token, TokenKind};
use super::value::ExprRegex;
use super::{ExprError, ExprErrorKind};

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `==`.
    Equals,
    /// `!=`.
    NotEquals,
    /// `=~`.
    Matches,
    /// `!~`.
    NotMatches,
    /// `&&`.
    And,
    /// `||`.
    Or,
}

impl BinaryOp {
    /// Returns the operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Equals => "==",
            BinaryOp::NotEquals => "!=",
            BinaryOp::Matches => "=~",
            BinaryOp::NotMatches => "!~",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }

    fn precedence(self) -> u32 {
        match self {
            BinaryOp::Equals | BinaryOp::NotEquals | BinaryOp::Matches | BinaryOp::NotMatches => 10,
            BinaryOp::And => 11,
            BinaryOp::Or => 12,
        }
    }
}

/// A node of the parse tree. Spans are byte ranges inside the expression.
#[derive(Debug, Clone)]
pub enum Node {
    /// `$NAME`.
    Variable {
        /// The name without `$`. The name of a predefined variable that GitLab documents by
        /// name refers to a static string, so the reads of an evaluation copy it without
        /// allocating.
        name: CompactString,
        /// Byte range of `$NAME`.
        span: Range<usize>,
    },
    /// `$[[ inputs.NAME ]]`.
    Input {
        /// The input's name.
        name: String,
        /// Byte range of the whole `$[[ ... ]]`.
        span: Range<usize>,
    },
    /// A quoted string.
    String {
        /// The text between the quotes.
        value: CompactString,
        /// Byte range of the string, quotes included.
        span: Range<usize>,
    },
    /// A `/pattern/flags` literal.
    Regex {
        /// The compiled pattern.
        regex: ExprRegex,
        /// Byte range of the literal.
        span: Range<usize>,
    },
    /// `null`.
    Null {
        /// Byte range of `null`.
        span: Range<usize>,
    },
    /// `true` or `false`.
    Boolean {
        /// The value.
        value: bool,
        /// Byte range of the literal.
        span: Range<usize>,
    },
    /// `!operand`.
    Not {
        /// Negated operand.
        operand: Box<Node>,
        /// Byte range of the `!`.
        op_span: Range<usize>,
    },
    /// `left op right`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Byte range of the operator.
        op_span: Range<usize>,
        /// The left operand.
        left: Box<Node>,
        /// The right operand.
        right: Box<Node>,
    },
}

impl Node {
    /// Returns the byte range that the node and all its operands cover, without parentheses
    /// around it.
    pub fn span(&self) -> Range<usize> {
        match self {
            Node::Variable { span, .. }
            | Node::Input { span, .. }
            | Node::String { span, .. }
            | Node::Regex { span, .. }
            | Node::Null { span }
            | Node::Boolean { span, .. } => span.clone(),
            Node::Not { operand, op_span } => cover(op_span, &operand.span()),
            Node::Binary {
                op_span,
                left,
                right,
                ..
            } => cover(&cover(op_span, &left.span()), &right.span()),
        }
    }
}

fn cover(a: &Range<usize>, b: &Range<usize>) -> Range<usize> {
    a.start.min(b.start)..a.end.max(b.end)
}

/// An entry of the operator stack and of the reverse Polish sequence.
#[derive(Debug)]
enum Item<'t> {
    Value(&'t Token),
    Binary(BinaryOp, &'t Token),
    Not(&'t Token),
    ParenOpen(&'t Token),
}

impl Item<'_> {
    /// GitLab's precedences; parentheses get 900 (`)`) and 901 (`(`) so that a closing
    /// parenthesis pops everything down to its opening one.
    fn precedence(&self) -> u32 {
        match self {
            Item::Value(_) => 0,
            Item::Binary(op, _) => op.precedence(),
            Item::Not(_) => 1,
            Item::ParenOpen(_) => 901,
        }
    }
}

const CLOSE_PRECEDENCE: u32 = 900;

/// Builds the parse tree from the tokens (at least one), or returns GitLab's error.
pub(super) fn parse_tokens(tokens: &[Token], source_len: usize) -> Result<Node, ExprError> {
    let rpn = to_rpn(tokens)?;
    build_tree(rpn, source_len)
}

/// Shunting-yard conversion to reverse Polish notation, as GitLab writes it: an operator pops
/// every stacked operator whose precedence number is lower or equal, `(` and `!` are pushed
/// without popping, and `)` pops down to the nearest `(`.
fn to_rpn(tokens: &[Token]) -> Result<Vec<Item<'_>>, ExprError> {
    let mut output = Vec::new();
    let mut operators: Vec<Item<'_>> = Vec::new();
    for token in tokens {
        let binary = match token.kind {
            TokenKind::Equals => Some(BinaryOp::Equals),
            TokenKind::NotEquals => Some(BinaryOp::NotEquals),
            TokenKind::Matches => Some(BinaryOp::Matches),
            TokenKind::NotMatches => Some(BinaryOp::NotMatches),
            TokenKind::And => Some(BinaryOp::And),
            TokenKind::Or => Some(BinaryOp::Or),
            _ => None,
        };
        if let Some(op) = binary {
            pop_while(&mut operators, &mut output, op.precedence());
            operators.push(Item::Binary(op, token));
            continue;
        }
        match token.kind {
            TokenKind::ParenOpen => operators.push(Item::ParenOpen(token)),
            TokenKind::Not => operators.push(Item::Not(token)),
            TokenKind::ParenClose => {
                pop_while(&mut operators, &mut output, CLOSE_PRECEDENCE);
                match operators.pop() {
                    Some(Item::ParenOpen(_)) => {}
                    _ => {
                        return Err(ExprError::new(
                            ExprErrorKind::UnmatchedParenthesis,
                            token.span.clone(),
                        )
                        .with_help("remove this `)` or add the `(` it closes"));
                    }
                }
            }
            _ => output.push(Item::Value(token)),
        }
    }
    output.extend(operators.into_iter().rev());
    Ok(output)
}

fn pop_while<'t>(operators: &mut Vec<Item<'t>>, output: &mut Vec<Item<'t>>, precedence: u32) {
    while operators
        .last()
        .is_some_and(|top| precedence >= top.precedence())
    {
        if let Some(top) = operators.pop() {
            output.push(top);
        }
    }
}

/// Evaluates the reverse Polish sequence into a tree, failing where GitLab's `Parser#tree`
/// raises.
fn build_tree(rpn: Vec<Item<'_>>, source_len: usize) -> Result<Node, ExprError> {
    let mut results: Vec<Node> = Vec::new();
    for item in rpn {
        match item {
            Item::Value(token) => results.push(value_node(token)?),
            Item::Not(token) => {
                let Some(operand) = results.pop() else {
                    return Err(
                        ExprError::new(ExprErrorKind::InvalidOperand, token.span.clone())
                            .with_help("`!` needs a value after it"),
                    );
                };
                results.push(Node::Not {
                    operand: Box::new(operand),
                    op_span: token.span.clone(),
                });
            }
            Item::Binary(op, token) => {
                let right = results.pop();
                let left = results.pop();
                let (Some(left), Some(right)) = (left, right) else {
                    // GitLab checks the left operand first, and the right one is always
                    // present when the left one is, so every missing operand reads "left".
                    return Err(ExprError::new(
                        ExprErrorKind::InvalidLeftOperand,
                        token.span.clone(),
                    )
                    .with_help(format!("`{}` needs a value on each side", op.as_str())));
                };
                results.push(Node::Binary {
                    op,
                    op_span: token.span.clone(),
                    left: Box::new(left),
                    right: Box::new(right),
                });
            }
            Item::ParenOpen(token) => {
                return Err(
                    ExprError::new(ExprErrorKind::UnclosedParenthesis, token.span.clone())
                        .with_help("add the `)` that closes this `(`"),
                );
            }
        }
    }
    let mut results = results.into_iter();
    let Some(root) = results.next() else {
        return Err(ExprError::new(ExprErrorKind::EmptyParseTree, 0..source_len)
            .with_help("write a condition such as `$CI_COMMIT_BRANCH == \"main\"`"));
    };
    let rest: Vec<Node> = results.collect();
    if let (Some(first), Some(last)) = (rest.first(), rest.last()) {
        let span = cover(&first.span(), &last.span());
        return Err(ExprError::new(ExprErrorKind::UnreachableNodes, span)
            .with_help("join the values with an operator such as `==`, `&&` or `||`"));
    }
    Ok(root)
}

fn value_node(token: &Token) -> Result<Node, ExprError> {
    let span = token.span.clone();
    Ok(match &token.kind {
        TokenKind::Variable(name) => Node::Variable {
            name: match predefined_name(name) {
                Some(name) => CompactString::const_new(name),
                None => CompactString::from(name.as_str()),
            },
            span,
        },
        TokenKind::Input(name) => Node::Input {
            name: name.clone(),
            span,
        },
        TokenKind::String(value) => Node::String {
            value: CompactString::from(value),
            span,
        },
        TokenKind::Boolean(value) => Node::Boolean {
            value: *value,
            span,
        },
        TokenKind::Pattern(text) => match ExprRegex::from_literal(text) {
            Ok(regex) => Node::Regex { regex, span },
            Err(reason) => {
                return Err(ExprError::new(ExprErrorKind::InvalidRegex, span)
                    .with_help(format!("RE2 rejects the pattern: {reason}")));
            }
        },
        // Only values reach here; the lexer produces nothing else that `to_rpn` stores as one.
        _ => Node::Null { span },
    })
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn parse(source: &str) -> Result<Node, ExprError> {
        let tokens = tokenize(source, 99)?;
        parse_tokens(&tokens, source.len())
    }

    /// Renders a tree in prefix form, for compact assertions.
    fn render(node: &Node) -> String {
        match node {
            Node::Variable { name, .. } => format!("${name}"),
            Node::Input { name, .. } => format!("inputs.{name}"),
            Node::String { value, .. } => format!("{value:?}"),
            Node::Regex { regex, .. } => format!("/{}/", regex.source()),
            Node::Null { .. } => "null".to_owned(),
            Node::Boolean { value, .. } => value.to_string(),
            Node::Not { operand, .. } => format!("!({})", render(operand)),
            Node::Binary {
                op, left, right, ..
            } => format!("({} {} {})", render(left), op.as_str(), render(right)),
        }
    }

    #[test]
    fn tree_table() {
        let cases = [
            ("$A", "$A"),
            ("\"x\"", "\"x\""),
            ("$A == \"1\"", "($A == \"1\")"),
            // Precedence: comparison, then `&&`, then `||`.
            (
                "$A == \"1\" || $B == \"1\" && $C == \"1\"",
                "(($A == \"1\") || (($B == \"1\") && ($C == \"1\")))",
            ),
            ("$A || $B && $C", "($A || ($B && $C))"),
            ("$A && $B || $C", "(($A && $B) || $C)"),
            ("($A || $B) && $C", "(($A || $B) && $C)"),
            (
                "\"string\" == $A || \"string\"",
                "((\"string\" == $A) || \"string\")",
            ),
            // Left associativity, also for comparisons.
            ("$A == $B == $C", "(($A == $B) == $C)"),
            ("$A && $B && $C", "(($A && $B) && $C)"),
            ("$A =~ /xy/ != $B", "(($A =~ /xy/) != $B)"),
            // `!` binds tighter than every binary operator.
            ("!$A == $B", "(!($A) == $B)"),
            ("$A == !$B", "($A == !($B))"),
            ("!($A == $B)", "!(($A == $B))"),
            ("!!$A", "!(!($A))"),
            ("$[[ inputs.x ]] == true", "(inputs.x == true)"),
            ("((($A)))", "$A"),
            // GitLab's reverse Polish evaluation does not check where operators stand.
            ("== $A $B", "($A == $B)"),
            ("$A $B ==", "($A == $B)"),
            ("$A !", "!($A)"),
        ];
        for (source, expected) in cases {
            let tree = parse(source).unwrap();
            assert_eq!(render(&tree), expected, "{source:?}");
        }
    }

    #[test]
    fn error_table() {
        use ExprErrorKind::*;
        let cases = [
            ("$A $B", UnreachableNodes, 3..5),
            ("\"a\" \"b\" \"c\"", UnreachableNodes, 4..11),
            ("$A ( $B )", UnreachableNodes, 5..7),
            ("== $A", InvalidLeftOperand, 0..2),
            ("$A ==", InvalidLeftOperand, 3..5),
            // The inner `==` takes `$A` and `$B`, leaving the outer one without a left operand.
            ("$A == ($B ==)", InvalidLeftOperand, 3..5),
            ("!", InvalidOperand, 0..1),
            ("$A == !", InvalidLeftOperand, 3..5),
            ("$A )", UnmatchedParenthesis, 3..4),
            ("($A))", UnmatchedParenthesis, 4..5),
            ("$A == $B )", UnmatchedParenthesis, 9..10),
            ("(($A)", UnclosedParenthesis, 0..1),
            ("($A", UnclosedParenthesis, 0..1),
            ("()", EmptyParseTree, 0..2),
            ("(())", EmptyParseTree, 0..4),
            ("$A =~ /((/", InvalidRegex, 6..10),
            ("$A =~ /a{1001}/", InvalidRegex, 6..15),
            ("$A =~ /(?=a)b/", InvalidRegex, 6..14),
        ];
        for (source, kind, span) in cases {
            let error = parse(source).unwrap_err();
            assert_eq!(error.kind(), &kind, "{source:?}");
            assert_eq!(error.span(), span, "{source:?}");
        }
    }

    #[test]
    fn unclosed_parenthesis_after_dangling_operator() {
        // The operator is built before the `(` is reached, so GitLab reports the operand.
        let error = parse("($A ==").unwrap_err();
        assert_eq!(error.kind(), &ExprErrorKind::InvalidLeftOperand);
    }

    #[test]
    fn unmatched_parenthesis_reported_before_regex() {
        let error = parse("$A =~ /((/ )").unwrap_err();
        assert_eq!(error.kind(), &ExprErrorKind::UnmatchedParenthesis);
    }

    #[test]
    fn invalid_regex_help_has_reason() {
        let error = parse("$A =~ /((/").unwrap_err();
        assert_eq!(error.help(), Some("RE2 rejects the pattern: missing ): (("));
    }

    #[test]
    fn oversized_regex_is_invalid() {
        // google-re2 rejects more than 446 `\pL` with its default memory budget.
        let source = format!("$A =~ /{}/", r"\pL".repeat(1000));
        let error = parse(&source).unwrap_err();
        assert_eq!(error.kind(), &ExprErrorKind::InvalidRegex);
        let help = "RE2 rejects the pattern: pattern too large - compile failed";
        assert_eq!(error.help(), Some(help));
    }

    #[test]
    fn node_spans_cover_operands() {
        let tree = parse("$A == \"x\" && !$B").unwrap();
        assert_eq!(tree.span(), 0..16);
        let Node::Binary { left, right, .. } = tree else {
            panic!("expected a binary node");
        };
        assert_eq!(left.span(), 0..9);
        assert_eq!(right.span(), 13..16);
    }
}
